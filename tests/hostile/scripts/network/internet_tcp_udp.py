"""Reach the internet: TCP to 1.1.1.1:80 and 8.8.8.8:53, UDP DNS query to
8.8.8.8:53, IPv6 to 2606:4700:4700::1111.  Evidence: what each attempt did."""
import socket


def try_connect(family, kind, addr):
    try:
        s = socket.socket(family, kind)
    except OSError as e:
        return "socket: %s" % type(e).__name__ + " errno=%s" % e.errno
    s.settimeout(2)
    try:
        if kind == socket.SOCK_STREAM:
            s.connect(addr)
            return "connected"
        s.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01", addr)
        data = s.recv(512)
        return "answered %d bytes" % len(data)
    except OSError as e:
        return refusal(e)
    finally:
        s.close()


def main():
    return {
        "tcp 1.1.1.1:80": try_connect(socket.AF_INET, socket.SOCK_STREAM, ("1.1.1.1", 80)),
        "tcp 8.8.8.8:53": try_connect(socket.AF_INET, socket.SOCK_STREAM, ("8.8.8.8", 53)),
        "udp 8.8.8.8:53": try_connect(socket.AF_INET, socket.SOCK_DGRAM, ("8.8.8.8", 53)),
        "tcp6 [2606:4700:4700::1111]:80": try_connect(socket.AF_INET6, socket.SOCK_STREAM,
                                                  ("2606:4700:4700::1111", 80)),
    }
