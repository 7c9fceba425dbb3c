"""The host's process table, as the suites check it for leftovers of jobs."""
import os


def proc_uids():
    """pid -> real uid of every process on the host."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        out[int(d)] = int(line.split()[1])
                        break
        except OSError:
            pass
    return out


def ppid_and_comm(pid):
    """(parent pid, command name) of a process, (None, "") once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None, ""
    comm = data[data.index("(") + 1:data.rindex(")")]
    return int(data[data.rindex(")") + 2:].split()[1]), comm
