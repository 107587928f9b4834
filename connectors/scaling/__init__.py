"""Executors that change the capacity of a scalable target (protocol in base.py).

    LocalPool(name, initial, min_size, max_size, warmup_s, clock=time.time, state_path=None)
        simulated units with warm-up; serve(demand, unit_capacity, now) -> PoolSnapshot;
        newest-first scale-in; thread-safe; optional JSON state survives restarts   "local:<name>"
    AwsAsgExecutor(group, profile=None, region=None, endpoint_url=None)
        SetDesiredCapacity(HonorCooldown=False) after a bounds check, then read back;
        no retry loop (one extra read-back at most); boto3 credential chain/profiles  "asg:<group>"
    SshCommandExecutor (ssh_command.py)
        a command template where only a validated integer {count} is substituted,
        run over a persistent SSH connection, then a read-back command         "ssh:<host>/<name>"

Demo (demo.py): DemoEnvironment.create(speed=60) -> .tick(now) -> DemoSample, .history(n),
    .history_frame(n), .executor; DemoTrace.load().shifted(now, speed); DemoTarget defaults.

All failures raise ExecutionError(target, reason); the caller marks the plan failed and alerts.
"""
