"""AF_NETLINK sockets: route (to list or change interfaces), uevent,
audit, sock_diag (to see other sockets)."""
import socket

PROTOS = {"NETLINK_ROUTE": 0, "NETLINK_SOCK_DIAG": 4, "NETLINK_AUDIT": 9,
          "NETLINK_KOBJECT_UEVENT": 15, "NETLINK_GENERIC": 16}


def main():
    out = {}
    for name, proto in PROTOS.items():
        try:
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
            s.bind((0, 0))
            out[name] = "opened"
            s.close()
        except OSError as e:
            out[name] = refusal(e)
    return out
