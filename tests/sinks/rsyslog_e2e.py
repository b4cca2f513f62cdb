#!/usr/bin/env python3
"""End-to-end: portclash's syslog sink -> a real rsyslogd on 127.0.0.1 -> what it parsed.

Runs its own rsyslogd (own config, work dir, no pid file, only UDP/TCP inputs on free high
ports, nothing from the system configuration) under the build tree, drives
syslog_driver through stdin, and checks the properties rsyslog parsed: APP-NAME, MSGID,
PROCID, the SD element (via mmpstrucdata), the aggregated count, hostile text, and that
after the receiver is killed mid-stream and restarted: sent == received + dropped, and
the output_dropped event that arrived says exactly how many were dropped.

usage: rsyslog_e2e.py DRIVER WORKDIR        exit 0 ok, 1 failure, 77 skipped
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

SDID = "portclash@32473"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def find_rsyslogd():
    if "PC_RSYSLOGD" in os.environ:  # an explicit choice, e.g. PC_RSYSLOGD=none to skip
        cand = os.environ["PC_RSYSLOGD"]
        return cand if os.access(cand, os.X_OK) else None
    path = shutil.which("rsyslogd")
    for cand in (path, "/usr/sbin/rsyslogd", "/sbin/rsyslogd"):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


CONFIG = """\
global(workDirectory="{work}" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp" MaxSessions="100")
module(load="mmpstrucdata")
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="test")
input(type="imtcp" address="127.0.0.1" port="{tcp}" ruleset="test" SupportOctetCountedFraming="on")
template(name="fields" type="list") {{
  constant(value="proto=") property(name="inputname")
  constant(value=" pri=") property(name="pri")
  constant(value=" host=") property(name="hostname")
  constant(value=" app=") property(name="app-name")
  constant(value=" procid=") property(name="procid")
  constant(value=" msgid=") property(name="msgid")
  constant(value=" sd=") property(name="structured-data")
  constant(value=" msg=") property(name="msg" droplastlf="on")
  constant(value="\\n")
}}
template(name="parsed" type="list") {{
  constant(value="{{\\"input\\":\\"") property(name="inputname" format="json")
  constant(value="\\",\\"pri\\":\\"") property(name="pri" format="json")
  constant(value="\\",\\"host\\":\\"") property(name="hostname" format="json")
  constant(value="\\",\\"app\\":\\"") property(name="app-name" format="json")
  constant(value="\\",\\"procid\\":\\"") property(name="procid" format="json")
  constant(value="\\",\\"msgid\\":\\"") property(name="msgid" format="json")
  constant(value="\\",\\"msg\\":\\"") property(name="msg" format="json")
  constant(value="\\",\\"sd\\":") property(name="$!rfc5424-sd")
  constant(value="}}\\n")
}}
ruleset(name="test") {{
  action(type="omfile" file="{out}/fields.log" template="fields")
  action(type="mmpstrucdata" sd_name.lowercase="off")
  action(type="omfile" file="{out}/parsed.jsonl" template="parsed")
}}
"""


class Rsyslog:
    def __init__(self, exe, conf, tcp_port, log):
        self.exe, self.conf, self.tcp_port, self.log = exe, conf, tcp_port, log
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([self.exe, "-n", "-iNONE", "-f", self.conf],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail("rsyslogd exited with %d (see rsyslogd.log)" % self.proc.returncode)
            try:
                socket.create_connection(("127.0.0.1", self.tcp_port), timeout=0.2).close()
                time.sleep(0.05)  # UDP input comes up with TCP; give it a moment anyway
                return
            except OSError:
                time.sleep(0.02)
        fail("rsyslogd did not listen on tcp %d" % self.tcp_port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Driver:
    def __init__(self, exe, log):
        self.p = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=log, text=True, bufsize=1)

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        ans = self.p.stdout.readline().strip()
        if not ans:
            fail("driver died on '%s'" % line)
        return ans

    def stats(self, line="stats"):
        ans = self.cmd(line)
        return {k: int(v) for k, v in (kv.split("=") for kv in ans.split()[1:])}

    def end(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def records(out):
    path = os.path.join(out, "parsed.jsonl")
    if not os.path.exists(path):
        return []
    recs = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                recs.append(json.loads(line))
            except ValueError:
                fail("rsyslog output line is not JSON: %r" % line)
    return recs


def wait_for(out, pred, what, timeout=10.0):
    deadline = time.time() + timeout
    while True:
        recs = records(out)
        if pred(recs):
            return recs
        if time.time() > deadline:
            fail("timed out waiting for " + what + " (have %d records)" % len(recs))
        time.sleep(0.02)


def tagged(recs, tag, msgid="BINDFAIL"):
    return [r for r in recs if r["msgid"] == msgid and r["sd"].get(SDID, {}).get("process") == tag]


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    driver_exe, workdir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    exe = find_rsyslogd()
    if not exe:
        print("SKIP: rsyslogd is not installed (apt-get install rsyslog; see "
              "packaging/deps/tests-syslog.txt)")
        return 77
    shutil.rmtree(workdir, ignore_errors=True)
    work, out = os.path.join(workdir, "work"), os.path.join(workdir, "out")
    os.makedirs(work)
    os.makedirs(out)
    udp, tcp = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    conf = os.path.join(workdir, "rsyslog.conf")
    with open(conf, "w") as fh:
        fh.write(CONFIG.format(work=work, out=out, udp=udp, tcp=tcp))
    log = open(os.path.join(workdir, "rsyslogd.log"), "ab")
    dlog = open(os.path.join(workdir, "driver.log"), "w")
    rs = Rsyslog(exe, conf, tcp, log)
    rs.start()
    try:
        run(driver_exe, rs, out, udp, tcp, dlog)
    finally:
        rs.stop()
    print("ok: rsyslog end-to-end")
    return 0


def run(driver_exe, rs, out, udp, tcp, dlog):
    # --- UDP: fields as rsyslog parsed them, aggregation count, hostile text ---
    d = Driver(driver_exe, dlog)
    if d.cmd("open udp://127.0.0.1:%d" % udp) != "ok":
        fail("open udp")
    d.cmd("send 20 udp.exe")
    d.cmd("agg 1000")
    d.cmd("hostile")
    st = d.stats("close")
    d.end()
    if st["written"] != 22 or st["dropped"] != 0:
        fail("udp stats %r" % st)
    recs = wait_for(out, lambda r: len(r) >= 22, "22 UDP records")
    udp_recs = tagged(recs, "udp.exe")
    if len(udp_recs) != 20:
        fail("expected 20 udp.exe records, got %d" % len(udp_recs))
    r = udp_recs[0]
    sd = r["sd"][SDID]
    want = {"event": "bind_failure", "error": "98", "error_name": "EADDRINUSE", "proto": "tcp",
            "address": "127.0.0.1", "port": "8080", "pid": "1", "process": "udp.exe",
            "rule_id": "E2E", "severity": "error", "count": "1", "source": "fixture"}
    if sd != want:
        fail("SD params %r != %r" % (sd, want))
    if (r["input"], r["pri"], r["host"], r["app"], r["msgid"]) != \
            ("imudp", "11", "e2ehost", "portclash", "BINDFAIL"):
        fail("header fields %r" % r)
    if not r["procid"].isdigit():
        fail("procid %r" % r["procid"])
    if "udp.exe (pid 1) could not bind tcp 127.0.0.1:8080: EADDRINUSE (98)" not in r["msg"]:
        fail("msg %r" % r["msg"])
    agg = tagged(recs, "agg.exe")
    if len(agg) != 1 or agg[0]["sd"][SDID]["count"] != "1000" or "ts_last" not in agg[0]["sd"][SDID]:
        fail("aggregated record %r" % agg)
    hostile = [x for x in recs if x["sd"].get(SDID, {}).get("process", "").startswith("q")]
    if len(hostile) != 1 or hostile[0]["sd"][SDID]["process"] != 'q"b\\s]e x\ufffd':
        fail("hostile SD value parsed as %r" % hostile)

    # --- TCP with the receiver killed mid-stream and restarted ---
    d = Driver(driver_exe, dlog)
    if d.cmd("open tcp://127.0.0.1:%d 16384" % tcp) != "ok":
        fail("open tcp")
    d.cmd("send 30 tcp1.exe")  # ~12 KB: fits the queue, nothing dropped yet
    if d.cmd("flush 5000") != "flush ok":
        fail("flush before kill")
    if d.stats()["dropped"] != 0:
        fail("dropped before the receiver was killed")
    wait_for(out, lambda r: len(tagged(r, "tcp1.exe")) == 30, "30 TCP records")
    rs.stop()  # the sender keeps running
    d.cmd("send 300 tcp2.exe")  # ~40 fit in the 16 KiB queue; the rest are dropped
    time.sleep(0.3)
    mid = d.stats()
    if mid["dropped"] == 0:
        fail("nothing was dropped while the receiver was down: %r" % mid)
    rs.start()
    if d.cmd("flush 10000") != "flush ok":
        fail("sender did not reconnect")
    d.cmd("send 20 tcp3.exe")
    st = d.stats("close")
    d.end()
    sent = 350
    if st["submitted"] != sent or st["queued"] != 0 or st["written"] + st["dropped"] != sent:
        fail("tcp stats do not add up: %r" % st)
    if st["reconnects"] < 1 or st["drop_reports"] != 1:
        fail("expected a reconnect and one drop report: %r" % st)
    expect = st["written"] + st["drop_reports"]

    def tcp_recs(rr):
        return [x for x in rr if x["input"] == "imtcp"]
    recs = wait_for(out, lambda r: len(tcp_recs(r)) >= expect, "%d TCP records" % expect)
    time.sleep(0.2)
    recs = tcp_recs(records(out))
    received = sum(len(tagged(recs, t)) for t in ("tcp1.exe", "tcp2.exe", "tcp3.exe"))
    drops = [x for x in recs if x["msgid"] == "DROPS"]
    if received + st["dropped"] != sent:
        fail("sent %d != received %d + dropped %d" % (sent, received, st["dropped"]))
    if len(tagged(recs, "tcp3.exe")) != 20:
        fail("records after the restart were lost")
    if len(drops) != 1 or drops[0]["sd"][SDID].get("count") != str(st["dropped"]) or \
            drops[0]["sd"][SDID].get("event") != "output_dropped":
        fail("output_dropped event %r, dropped %d" % (drops, st["dropped"]))
    print("tcp: sent %d, received %d, dropped %d (reported by the sink and in the "
          "output_dropped event), reconnects %d" % (sent, received, st["dropped"], st["reconnects"]))


if __name__ == "__main__":
    sys.exit(main())
