/* Every allocation of the core pipeline made to fail in turn: each run must end with a clean
 * error (PC_ENOMEM) or success, never a crash, and LeakSanitizer checks nothing leaks. */
#include <stdio.h>
#include <string.h>

#include "alloc_fail.h"
#include "pc_error.h"
#include "pc_fixture.h"
#include "pc_pipeline.h"
#include "pc_test.h"

static const char demo[] =
    "@1.0 afd 1000 v0 : EnterExit=1 Process=0x10 Endpoint=0x20 SocketType=1 Protocol=6 ProcessId=5\n"
    "@1.1 afd 1030 v0 : EnterExit=0 Process=0x10 Endpoint=0x20 Address=0.0.0.0:80\n"
    "@1.2 tcpip 1006 v0 pid=5 : LocalAddress=0.0.0.0:80 Status=0xC0000022\n"
    "@1.3 afd 1030 v0 : EnterExit=1 Process=0x10 Endpoint=0x20 Status=0xC0000022\n"
    "@1.4 afd 9999 v0 : data=hex:00\n";

static void count(const pc_bind_attempt *a, void *ud) {
  (void)a;
  (*(int *)ud)++;
}

/* One full run; returns the error that stopped it, or PC_OK. */
static int run_once(int *attempts) {
  pc_pipeline *p;
  int rc = pc_pipeline_new(NULL, count, attempts, &p);
  if (rc != PC_OK) return rc;
  pc_fixture *fx;
  rc = pc_fixture_open(demo, strlen(demo), "demo", pc_decoder_schemas(pc_pipeline_decoder(p)), &fx);
  if (rc == PC_OK) {
    pc_record r;
    while (pc_fixture_next(fx, &r) == PC_OK) pc_pipeline_push(p, &r);
    pc_fixture_close(fx);
    pc_pipeline_finish(p);
  }
  pc_pipeline_free(p);
  return rc;
}

PC_TEST(every_allocation_failure_is_a_clean_error) {
  pc_alloc_fail_at(-1);
  int attempts = 0;
  PC_CHECK_INT(run_once(&attempts), PC_OK);
  PC_CHECK_INT(attempts, 1);
  long total = pc_alloc_calls();
  PC_CHECK(total > 3);
  for (long n = 1; n <= total; n++) {
    pc_alloc_fail_at(n);
    attempts = 0;
    int rc = run_once(&attempts);
    if (rc != PC_OK && rc != PC_ENOMEM)
      pc__test_fail(__FILE__, __LINE__, "allocation %ld failing gave %s", n, pc_errname(rc));
    if (rc == PC_OK && attempts != 1)
      pc__test_fail(__FILE__, __LINE__, "allocation %ld failing lost the attempt silently", n);
  }
  pc_alloc_fail_at(-1);
  printf("  %ld allocation sites failed in turn\n", total);
}
