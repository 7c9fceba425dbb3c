"""Every system call the filter must refuse, straight through syscall(2)
with harmless arguments (x86_64 numbers).  Each must fail with EPERM
(clone3: ENOSYS) -- or kill the process -- but never succeed."""
import ctypes
import errno
import os
import platform
import time

NR = {"keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
      "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
      "open_by_handle_at": 304, "name_to_handle_at": 303, "init_module": 175, "finit_module": 313,
      "delete_module": 176, "kexec_load": 246, "kexec_file_load": 320, "reboot": 169,
      "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159,
      "ioctl TIOCSTI": 16, "ioctl TIOCLINUX": 16, "ptrace": 101, "process_vm_readv": 310,
      "process_vm_writev": 311, "kcmp": 312, "pidfd_getfd": 438, "fanotify_init": 300,
      "swapon": 167, "swapoff": 168, "acct": 163, "syslog": 103, "iopl": 172, "ioperm": 173,
      "quotactl": 179, "sethostname": 170, "setdomainname": 171, "unshare": 272, "setns": 308,
      "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "fsopen": 430,
      "mount_setattr": 442, "migrate_pages": 256, "move_pages": 279, "lookup_dcookie": 212,
      "personality ADDR_NO_RANDOMIZE": 135, "clone3": 435, "vhangup": 153, "uselib": 134,
      "modify_ldt": 154}


class timespec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]


def main():
    assert platform.machine() == "x86_64", platform.machine()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    now = timespec(int(time.time()), 0)
    tv = (ctypes.c_long * 2)(int(time.time()), 0)
    attr = ctypes.create_string_buffer(256)
    ch = ctypes.c_char(b"x")
    args = {
        "keyctl": (0, -3, 0),                       # KEYCTL_GET_KEYRING_ID session
        "add_key": (b"user", b"hostile", b"v", 1, -2),
        "request_key": (b"user", b"hostile", None, 0),
        "bpf": (0, attr, 72),                       # BPF_MAP_CREATE, zeroed attr
        "perf_event_open": (attr, 0, -1, -1, 0),
        "userfaultfd": (0,),
        "io_uring_setup": (1, attr),
        "io_uring_enter": (0, 0, 0, 0, None, 0),
        "io_uring_register": (0, 0, None, 0),
        "open_by_handle_at": (-100, attr, 0),
        "name_to_handle_at": (-100, b"/tmp", attr, attr, 0),
        "init_module": (None, 0, b""),
        "finit_module": (-1, b"", 0),
        "delete_module": (b"hostile_nonexistent", 0),
        "kexec_load": (0, 0, None, 0),
        "kexec_file_load": (-1, -1, 0, None, 0),
        "reboot": (0xfee1dead, 672274793, 0, None),  # CAD_OFF: harmless even if it passed
        "settimeofday": (tv, None),                  # the time it is now
        "clock_settime": (0, ctypes.byref(now)),
        "clock_adjtime": (0, attr),
        "adjtimex": (attr,),                        # modes 0 would be read-only
        "ioctl TIOCSTI": (0, 0x5412, ctypes.byref(ch)),
        "ioctl TIOCLINUX": (0, 0x541C, ctypes.byref(ch)),
        "ptrace": (16, 1, None, None),
        "process_vm_readv": (1, None, 0, None, 0, 0),
        "process_vm_writev": (1, None, 0, None, 0, 0),
        "kcmp": (1, 2, 0, 0, 0),
        "pidfd_getfd": (-1, 0, 0),
        "fanotify_init": (0, 0),
        "swapon": (b"/tmp/none", 0), "swapoff": (b"/tmp/none",),
        "acct": (None,), "syslog": (3, attr, 10), "iopl": (3,), "ioperm": (0x80, 1, 1),
        "quotactl": (0, None, 0, None), "sethostname": (b"pwned", 5), "setdomainname": (b"pwned", 5),
        "unshare": (0x10000000,), "setns": (-1, 0), "mount": (b"none", b"/tmp", b"tmpfs", 0, None),
        "umount2": (b"/tmp", 2), "pivot_root": (b"/tmp", b"/tmp"), "chroot": (b"/tmp",),
        "fsopen": (b"tmpfs", 0), "mount_setattr": (-100, b"/", 0, attr, 32),
        "migrate_pages": (0, 64, None, None), "move_pages": (0, 0, None, None, None, 0),
        "lookup_dcookie": (0, attr, 10), "personality ADDR_NO_RANDOMIZE": (0x0040000,),
        "clone3": (attr, 88), "vhangup": (), "uselib": (b"/tmp/none",),
        "modify_ldt": (0, attr, 16),                # func 0: only reads the LDT
    }
    out = {}
    for name, nr in NR.items():
        ctypes.set_errno(0)
        r = libc.syscall(ctypes.c_long(nr), *args[name])
        out[name] = {"ret": r, "errno": errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno())}
    out["hostname after"] = os.uname().nodename
    return out
