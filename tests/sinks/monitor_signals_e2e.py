#!/usr/bin/env python3
"""The monitor's signals and loss records, end to end, without root.

    monitor_signals_e2e.py MONITOR_DRIVER

MONITOR_DRIVER is `portclash monitor` over a scripted source (tests/sinks/monitor_driver.c):
its stdin takes "fail N PORT [COMM]" and "lost N [UID]". Checks:
  * SIGHUP after logrotate's rename: the monitor keeps running, says so on its status stream,
    the new file gets the later findings and the renamed one keeps the earlier ones;
  * SIGTERM, SIGINT and SIGQUIT with 500 failures in flight and --drain: all 500 in the log,
    the summary printed, exit 0; without --drain (a stop within a second): every finding made
    is in the log and the summary accounts for the rest as "not explained at stop";
  * events_lost: a source that reports losses gives one events_lost record per status
    interval (only when the count grew) in JSON on the console and as MSGID EVLOST in syslog,
    with the per-uid detail;
  * limit_hit: a rule whose regex hits the PCRE2 match limit gives a limit_hit record (JSON,
    syslog MSGID LIMITHIT).
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

DRIVER = sys.argv[1]
failures = []


def check(ok, what, detail=""):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)
        if detail:
            print("     " + detail.replace("\n", "\n     "))
    return ok


class Monitor:
    def __init__(self, work, args, name="mon"):
        self.err_path = os.path.join(work, name + ".err")
        self.out_path = os.path.join(work, name + ".out")
        env = dict(os.environ, PC_STATE_DIR=os.path.join(work, "state"), NO_COLOR="1")
        self.p = subprocess.Popen([DRIVER] + args, stdin=subprocess.PIPE, stdout=open(self.out_path, "wb"),
                                  stderr=open(self.err_path, "wb"), env=env)
        self.wait_err("portclash: monitoring bind failures")

    def err(self):
        with open(self.err_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def out(self):
        with open(self.out_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_err(self, text, count=1, timeout=10.0):
        end = time.time() + timeout
        while time.time() < end:
            if self.err().count(text) >= count:
                return True
            if self.p.poll() is not None:
                return self.err().count(text) >= count
            time.sleep(0.02)
        return False

    def send(self, line):
        try:
            self.p.stdin.write((line + "\n").encode())
            self.p.stdin.flush()
        except BrokenPipeError:
            pass  # the monitor is gone: the checks that follow say so

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return self.p.wait()


def lines_of(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        return []


def wait_for(pred, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def ports(records):
    return sorted(r["port"] for r in records if r.get("event") == "bind_failure")


def test_sighup_reopens(work):
    log = os.path.join(work, "hup.json")
    m = Monitor(work, ["--log", log, "--log-format", "json", "--window", "0", "--quiet", "--status", "0"], "hup")
    m.send("fail 3 41000")
    check(wait_for(lambda: len(lines_of(log)) == 3), "SIGHUP: 3 findings in the log before the rotation")
    os.rename(log, log + ".1")  # logrotate's rename
    m.p.send_signal(signal.SIGHUP)
    said = m.wait_err("log file reopened (SIGHUP): " + log)
    check(said and m.p.poll() is None, "SIGHUP: the monitor keeps running and says the log was reopened",
          "exit %s, stderr:\n%s" % (m.p.poll(), m.err()))
    check(os.path.exists(log), "SIGHUP: the log file is there again at once")
    m.send("fail 2 42000")
    check(wait_for(lambda: len(lines_of(log)) == 2), "SIGHUP: the new file receives the later findings",
          "new: %s" % ports(lines_of(log)))
    check(ports(lines_of(log)) == [42000, 42001], "SIGHUP: the new file has exactly the later findings")
    check(ports(lines_of(log + ".1")) == [41000, 41001, 41002], "SIGHUP: the renamed file keeps the earlier ones",
          "old: %s" % ports(lines_of(log + ".1")))
    # A second SIGHUP without a rotation changes nothing but is said again.
    m.p.send_signal(signal.SIGHUP)
    check(m.wait_err("log file reopened (SIGHUP)", 2) and m.p.poll() is None, "SIGHUP: a second one too")
    rc = m.stop()
    check(rc == 0 and "5 failures" in m.err(), "SIGHUP: a later SIGTERM still ends with exit 0 and the summary",
          "exit %s, stderr:\n%s" % (rc, m.err()))


def test_stop_with_findings_in_flight(work, sig):
    """--drain: the 500 failures the source holds at the signal are all explained and logged."""
    name = signal.Signals(sig).name
    log = os.path.join(work, name + ".json")
    m = Monitor(work, ["--log", log, "--log-format", "json", "--window", "0", "--quiet", "--status", "0", "--drain"],
                name)
    m.send("fail 500 20000")
    check(m.wait_err("driver: queued 500"), name + ": the source holds 500 failures")
    rc = m.stop(sig)
    got = ports(lines_of(log))
    check(rc == 0, name + ": exit 0", "exit %s, stderr:\n%s" % (rc, m.err()))
    check(got == list(range(20000, 20500)), name + ": all 500 findings in the log", "got %d" % len(got))
    check("500 events, 500 failures" in m.err(), name + ": the summary is printed", m.err())


def test_stop_without_drain_accounts_for_all(work):
    """Without --drain the stop is quick: every finding made reaches the log (nothing the sinks
    hold is lost), and the summary accounts for the rest as not explained."""
    log = os.path.join(work, "nodrain.json")
    m = Monitor(work, ["--log", log, "--log-format", "json", "--window", "0", "--quiet", "--status", "0"],
                "nodrain")
    m.send("fail 500 20000")
    check(m.wait_err("driver: queued 500"), "no --drain: the source holds 500 failures")
    rc = m.stop(signal.SIGTERM)
    got = len(ports(lines_of(log)))
    match = re.search(r"500 events, (\d+) failures, 0 events lost, 0 dropped(?:, (\d+) not explained at stop)?",
                      m.err())
    written = int(match.group(1)) if match else -1
    unexplained = int(match.group(2) or 0) if match else -1
    check(rc == 0 and match is not None, "no --drain: exit 0 and the summary", m.err())
    check(got == written and written + unexplained == 500,
          "no --drain: the log has every finding made, the summary accounts for all 500",
          "log %d, failures %d, not explained %d" % (got, written, unexplained))


def syslog_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.2)
    return s


def syslog_records(sock, msgid, want, timeout=8.0):
    got = []
    end = time.time() + timeout
    while time.time() < end and len(got) < want:
        try:
            data = sock.recv(65536).decode("utf-8", "replace")
        except socket.timeout:
            continue
        # "<PRI>1 TS HOST APP PROCID MSGID [SD...]"
        parts = data.split(" ", 6)
        if len(parts) > 5 and parts[5] == msgid:
            got.append(data)
    return got


def console_records(m, event):
    out = []
    for line in m.out().splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("event") == event:
            out.append(r)
    return out


def test_events_lost(work):
    sock = syslog_socket()
    url = "udp://127.0.0.1:%d" % sock.getsockname()[1]
    m = Monitor(work, ["--format", "json", "--syslog", url, "--window", "0", "--status", "1"], "lost")
    m.send("lost 7 1000")
    check(wait_for(lambda: len(console_records(m, "events_lost")) == 1), "events_lost: a record in JSON",
          m.out()[-2000:])
    recs = console_records(m, "events_lost")
    if recs:
        r = recs[0]
        check(r["count"] == 7 and r["severity"] == "warning" and r["source"] == "driver",
              "events_lost: count 7, warning, the source's name", json.dumps(r))
        check("1000=7" in (r["explanation"] or ""), "events_lost: the per-uid detail is in the explanation",
              r["explanation"] or "")
    sl = syslog_records(sock, "EVLOST", 1)
    check(len(sl) == 1 and 'count="7"' in sl[0] and 'event="events_lost"' in sl[0],
          "events_lost: syslog MSGID EVLOST with count 7", repr(sl))
    # Two reports within one status interval: one record with their sum.
    m.send("lost 2")
    m.send("lost 3")
    check(wait_for(lambda: len(console_records(m, "events_lost")) == 2), "events_lost: a second record")
    recs = console_records(m, "events_lost")
    check(len(recs) == 2 and recs[1]["count"] == 5, "events_lost: at most one per status interval, the growth",
          json.dumps(recs))
    time.sleep(2.5)  # no growth: no record
    check(len(console_records(m, "events_lost")) == 2, "events_lost: none while the count does not grow")
    sl = syslog_records(sock, "EVLOST", 1, 3.0)
    check(len(sl) == 1 and 'count="5"' in sl[0], "events_lost: the second one in syslog too", repr(sl))
    rc = m.stop()
    check(rc == 0 and "12 events lost" in m.err(), "events_lost: the summary counts them", m.err())
    sock.close()


def test_limit_hit(work):
    rules = os.path.join(work, "rules")
    os.makedirs(rules, exist_ok=True)
    with open(os.path.join(rules, "90-evil.rules"), "w") as f:
        f.write('rule EVIL\n  title "catastrophic"\n  severity error\n  when process =~ "((a+)+)+$"\n'
                '  explain "e"\n  fix "f"\n')
    sock = syslog_socket()
    url = "udp://127.0.0.1:%d" % sock.getsockname()[1]
    m = Monitor(work, ["--format", "json", "--syslog", url, "--window", "0", "--status", "1", "--rules", rules],
                "limit")
    m.send("fail 1 43000 aaaaaaaaaaaaaa!")
    check(wait_for(lambda: len(console_records(m, "limit_hit")) == 1), "limit_hit: a record in JSON",
          m.out()[-3000:] + m.err()[-2000:])
    recs = console_records(m, "limit_hit")
    if recs:
        check(recs[0]["count"] == 1 and recs[0]["severity"] == "warning", "limit_hit: count 1, warning",
              json.dumps(recs[0]))
    sl = syslog_records(sock, "LIMITHIT", 1)
    check(len(sl) == 1 and 'event="limit_hit"' in sl[0], "limit_hit: syslog MSGID LIMITHIT", repr(sl))
    m.stop()
    sock.close()


def main():
    with tempfile.TemporaryDirectory() as work:
        test_sighup_reopens(work)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            test_stop_with_findings_in_flight(work, sig)
        test_stop_without_drain_accounts_for_all(work)
        test_events_lost(work)
        test_limit_hit(work)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
