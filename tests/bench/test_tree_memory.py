"""The benchmark's process-tree memory counts pages a forked child shares with its parent
once, not once per process."""

import subprocess
import sys
import time

import pytest

from bench.run import TreeRss, proc_pss_mb, proc_status_mb

SCRIPT = """
import os, sys, time
import numpy as np
a = np.ones(40_000_000)  # 320 MB, touched
parent = os.getpid()
if os.fork() == 0:  # the child shares every page with the parent until it writes
    while os.getppid() == parent:  # ends with its parent
        time.sleep(0.05)
    os._exit(0)
print("forked", flush=True)
time.sleep(30)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_forked_child_sharing_its_parents_pages_is_not_counted_twice():
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "forked"
        time.sleep(0.3)
        rss = proc_status_mb(proc.pid, "VmRSS")
        tree = TreeRss(proc.pid).sample()
        assert rss > 300
        # two processes of ~330 MB RSS each, sharing the array: about one array in all
        assert rss * 0.9 < tree < rss * 1.3, (rss, tree)
        assert proc_pss_mb(proc.pid) < rss * 0.7  # the parent holds half the shared pages
    finally:
        proc.kill()
        proc.wait()
    assert proc_pss_mb(proc.pid) is None  # gone


def test_a_sample_taken_while_the_tree_changes_is_dropped(monkeypatch):
    sampler = TreeRss(12345)
    trees = iter([{12345}, {12345, 12346}, {12345, 12346}, {12345, 12346}])
    monkeypatch.setattr(sampler, "tree", lambda: next(trees))
    pss = {12345: 1500.0, 12346: 750.0}
    monkeypatch.setattr("bench.run.proc_pss_mb", lambda pid: pss[pid])
    assert sampler.sample() is None  # read before the fork, listed after it
    assert sampler.sample() == 2250.0  # a settled tree is counted
