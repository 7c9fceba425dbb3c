"""A well-formed frame on the result channel (fd 4) whose result is JSON
only to a lenient parser: NaN, Infinity, -Infinity, or a string with raw
control characters (the text on stdin), then exit before the runner can
answer.  The service passes a valid result on verbatim, so what it accepts
as valid is what its clients must parse: the response must stay strict
JSON (RFC 8259), or the result must be refused."""
import os
import sys


def main():
    body = sys.stdin.read().encode()
    head = b"{}"
    os.write(4, b"success %d\n" % len(head) + head + body)
    os._exit(0)
