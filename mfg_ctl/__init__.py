"""``mfg-ctl``: run YAML test plans against instruments, judge, report and record the results."""
