"""Raw and exotic sockets: AF_PACKET raw, AF_INET raw ICMP, AF_INET6 raw,
ICMP ping sockets, AF_VSOCK (the hypervisor), AF_ALG (kernel crypto),
AF_BLUETOOTH, AF_XDP, and socketpair(AF_INET)."""
import socket

CASES = [
    ("AF_PACKET SOCK_RAW", 17, socket.SOCK_RAW, 0x0300),
    ("AF_PACKET SOCK_DGRAM", 17, socket.SOCK_DGRAM, 0x0300),
    ("AF_INET SOCK_RAW ICMP", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
    ("AF_INET SOCK_RAW RAW", socket.AF_INET, socket.SOCK_RAW, 255),
    ("AF_INET6 SOCK_RAW", socket.AF_INET6, socket.SOCK_RAW, 58),
    ("AF_INET SOCK_DGRAM ICMP (ping)", socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP),
    ("AF_VSOCK", 40, socket.SOCK_STREAM, 0),
    ("AF_ALG", 38, socket.SOCK_SEQPACKET, 0),
    ("AF_BLUETOOTH", 31, socket.SOCK_RAW, 0),
    ("AF_XDP", 44, socket.SOCK_RAW, 0),
    ("AF_KEY", 15, socket.SOCK_RAW, 2),
]


def main():
    out = {}
    for name, fam, kind, proto in CASES:
        try:
            s = socket.socket(fam, kind, proto)
            out[name] = "opened"
            s.close()
        except OSError as e:
            out[name] = refusal(e)
    try:
        a, b = socket.socketpair(socket.AF_INET, socket.SOCK_STREAM)
        out["socketpair AF_INET"] = "opened"
    except OSError as e:
        out["socketpair AF_INET"] = refusal(e)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    a.sendall(b"ok")
    out["socketpair AF_UNIX (allowed)"] = b.recv(2).decode()
    return out
