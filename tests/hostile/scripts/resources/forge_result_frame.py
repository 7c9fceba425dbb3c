"""Scribble on the result channel (fd 4): write a forged frame claiming a
header longer than what follows, a non-JSON header and result, and invalid
UTF-8, then exit without the runner getting a word in.  The service must
still answer valid JSON."""
import os


def main():
    os.write(4, b"success 99999\n{\"error\": \xff\xfe not json }}} \x00 \"result\": [1,2,")
    os.write(1, b"\xff\xfe stdout bytes\n")
    os._exit(0)
