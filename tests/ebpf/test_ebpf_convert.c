/* test_ebpf_convert.c - the kernel record -> pc_bind_attempt conversion of the eBPF source
 * (pure; needs neither root nor BPF). */
#include <string.h>

#include "pc_bpf_event.h"
#include "ebpf.h"
#include "pc_test.h"

static struct pc_bpf_event base_event(void) {
  struct pc_bpf_event e;
  memset(&e, 0, sizeof e);
  e.ts_ns = 1500000000ull; /* 1.5 s after boot */
  e.ret = -98;
  e.fd = 3;
  e.pid = 4242;
  e.tid = 4243;
  e.ppid = 1;
  e.uid = 1000;
  e.euid = 1000;
  e.netns = 4026531840u;
  e.cgroup_id = 77;
  e.cap_eff = 1ull << 10;
  e.sk_ino = 123456;
  e.family = 2;
  e.port = 8080;
  e.addr[0] = 127;
  e.addr[3] = 1;
  e.sk_type = 1;
  e.sk_protocol = 6;
  e.source = PC_BPF_SRC_BIND;
  e.flags = PC_BPF_F_ADDR | PC_BPF_F_SOCK | PC_BPF_F_FREEBIND | PC_BPF_F_EXE;
  e.opts = PC_BPF_OPT_REUSEADDR | PC_BPF_OPT_FREEBIND;
  memcpy(e.comm, "nginx", 6);
  memcpy(e.exe, "nginx-debug", 12);
  return e;
}

PC_TEST(ipv4_tcp_bind_failure) {
  struct pc_bpf_event e = base_event();
  pc_bind_attempt a;
  pc_ebpf_extra x;
  /* Monotonic 1.5 s + offset = Unix 1700000000.5 s. */
  int64_t offset = INT64_C(1700000000) * 1000000000 - INT64_C(1000000000);
  pc_ebpf_convert(&e, offset, &a, &x);
  PC_CHECK_INT(a.ts_first, pc_time_from_unix(1700000000, 500000000));
  PC_CHECK_INT(a.ts_last, a.ts_first);
  PC_CHECK(a.pid_known);
  PC_CHECK_UINT(a.pid, 4242);
  PC_CHECK_UINT(a.tid, 4243);
  PC_CHECK(a.failed);
  PC_CHECK_UINT(a.error, 98);
  PC_CHECK(a.error_known && a.error_is_errno);
  PC_CHECK_UINT(a.seen_by, PC_SEEN_EBPF);
  PC_CHECK_INT(a.stage, PC_STAGE_BIND);
  PC_CHECK(a.addr_known);
  PC_CHECK_INT(a.local.family, PC_AF_INET);
  PC_CHECK_UINT(a.local.port, 8080);
  PC_CHECK_UINT(a.local.bytes[0], 127);
  PC_CHECK_UINT(a.local.bytes[3], 1);
  PC_CHECK_INT(a.proto, PC_PROTO_TCP);
  PC_CHECK_INT(a.socktype, 1);
  PC_CHECK_UINT(a.sockopts_known,
                PC_SOCKOPT_REUSEADDR | PC_SOCKOPT_REUSEPORT | PC_SOCKOPT_V6ONLY | PC_SOCKOPT_FREEBIND);
  PC_CHECK_UINT(a.sockopts, PC_SOCKOPT_REUSEADDR | PC_SOCKOPT_FREEBIND);
  PC_CHECK_UINT(a.ppid, 1);
  PC_CHECK(a.uid_known);
  PC_CHECK_UINT(a.uid, 1000);
  PC_CHECK_UINT(a.euid, 1000);
  PC_CHECK(a.caps_known);
  PC_CHECK_UINT(a.cap_effective, 1ull << 10);
  PC_CHECK_UINT(a.cgroup_id, 77);
  PC_CHECK_UINT(a.netns, 4026531840u);
  PC_CHECK_STR(a.comm, "nginx");
  PC_CHECK_STR(a.bound_device, "");
  PC_CHECK(x.exe_known);
  PC_CHECK_STR(x.exe, "nginx-debug");
  PC_CHECK_INT(x.fd, 3);
  PC_CHECK_UINT(x.sk_inode, 123456);
  PC_CHECK_INT(x.source, PC_BPF_SRC_BIND);
  PC_CHECK(!x.transparent);
}

PC_TEST(ipv6_udp_reuseport_with_scope) {
  struct pc_bpf_event e = base_event();
  e.family = 10;
  memset(e.addr, 0, sizeof e.addr);
  e.addr[0] = 0xfe;
  e.addr[1] = 0x80;
  e.addr[15] = 1;
  e.scope_id = 3;
  e.sk_type = 2;
  e.sk_protocol = 17;
  e.opts = PC_BPF_OPT_REUSEPORT | PC_BPF_OPT_V6ONLY | PC_BPF_OPT_TRANSPARENT;
  pc_bind_attempt a;
  pc_ebpf_extra x;
  pc_ebpf_convert(&e, 0, &a, &x);
  PC_CHECK_INT(a.local.family, PC_AF_INET6);
  PC_CHECK_UINT(a.local.bytes[0], 0xfe);
  PC_CHECK_UINT(a.local.bytes[15], 1);
  PC_CHECK_UINT(a.local.scope_id, 3);
  PC_CHECK_INT(a.proto, PC_PROTO_UDP);
  PC_CHECK_INT(a.socktype, 2);
  PC_CHECK_UINT(a.sockopts, PC_SOCKOPT_REUSEPORT | PC_SOCKOPT_V6ONLY);
  PC_CHECK(x.transparent);
}

PC_TEST(listen_failure_is_listen_stage) {
  struct pc_bpf_event e = base_event();
  e.source = PC_BPF_SRC_LISTEN;
  pc_bind_attempt a;
  pc_ebpf_extra x;
  pc_ebpf_convert(&e, 0, &a, &x);
  PC_CHECK_INT(a.stage, PC_STAGE_LISTEN);
  e.source = PC_BPF_SRC_URING_LISTEN;
  pc_ebpf_convert(&e, 0, &a, &x);
  PC_CHECK_INT(a.stage, PC_STAGE_LISTEN);
  e.source = PC_BPF_SRC_URING_BIND;
  e.fd = -1;
  pc_ebpf_convert(&e, 0, &a, &x);
  PC_CHECK_INT(a.stage, PC_STAGE_BIND);
  PC_CHECK_INT(x.fd, -1);
}

/* What the kernel could not read stays unknown, never zero-as-fact. */
PC_TEST(unknown_parts_stay_unknown) {
  struct pc_bpf_event e = base_event();
  e.flags = 0;
  e.ret = -13;
  pc_bind_attempt a;
  pc_ebpf_extra x;
  pc_ebpf_convert(&e, 0, &a, &x);
  PC_CHECK_UINT(a.error, 13);
  PC_CHECK(!a.addr_known);
  PC_CHECK_INT(a.local.family, PC_AF_UNKNOWN);
  PC_CHECK_INT(a.proto, PC_PROTO_UNKNOWN);
  PC_CHECK_INT(a.socktype, 0);
  PC_CHECK_UINT(a.sockopts_known, 0);
  PC_CHECK(!x.exe_known);
  PC_CHECK_STR(x.exe, "");
  /* A family other than IPv4/IPv6 gives no address. */
  e = base_event();
  e.family = 1;
  pc_ebpf_convert(&e, 0, &a, &x);
  PC_CHECK(!a.addr_known);
}

/* comm and exe from the kernel are bounded even without a terminating NUL. */
PC_TEST(names_are_terminated) {
  struct pc_bpf_event e = base_event();
  memset(e.comm, 'c', sizeof e.comm);
  memset(e.exe, 'x', sizeof e.exe);
  pc_bind_attempt a;
  pc_ebpf_extra x;
  pc_ebpf_convert(&e, 0, &a, &x);
  PC_CHECK_INT(strlen(a.comm), sizeof a.comm - 1);
  PC_CHECK_INT(strlen(x.exe), sizeof x.exe - 1);
}

PC_TEST(event_layout_is_stable) {
  /* The BPF object and the loader must agree; a change of size means both were not rebuilt
   * from the same header. 8-byte multiple so ring records need no padding. */
  PC_CHECK_INT(sizeof(struct pc_bpf_event), 200);
  PC_CHECK_INT(sizeof(struct pc_bpf_agg_key), 48);
}

/* A failure is one failure (repeats 1); ret 0 is a successful listen() for the learned
 * ports: not failed, no error. */
PC_TEST(success_and_repeats) {
  struct pc_bpf_event e = base_event();
  pc_bind_attempt a;
  pc_ebpf_extra x;
  pc_ebpf_convert(&e, 0, &a, &x);
  PC_CHECK(a.failed);
  PC_CHECK_UINT(a.repeats, 1);
  PC_CHECK(!x.repeats_only);
  e.ret = 0;
  e.source = PC_BPF_SRC_LISTEN;
  pc_ebpf_convert(&e, 0, &a, &x);
  PC_CHECK(!a.failed);
  PC_CHECK_UINT(a.error, 0);
  PC_CHECK_INT(a.stage, PC_STAGE_LISTEN);
  PC_CHECK_UINT(a.local.port, 8080);
}
