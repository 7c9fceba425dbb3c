"""A result far past max_result_bytes: 50 MB of JSON."""


def main():
    return ["x" * 1000] * 50000
