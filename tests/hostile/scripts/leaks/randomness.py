"""Random state that must differ between requests: random, numpy.random
(default seeding and the legacy global state), os.urandom, uuid4,
secrets, hash randomisation, the stack/heap addresses (ASLR) and
tempfile names."""
import ctypes
import os
import random
import secrets
import tempfile
import uuid

import numpy as np


def main():
    return {
        "random": random.getrandbits(128),
        "numpy_legacy": np.random.randint(0, 2 ** 31, 4).tolist(),
        "numpy_default_rng": np.random.default_rng().integers(0, 2 ** 31, 4).tolist(),
        "urandom": os.urandom(16).hex(),
        "uuid4": str(uuid.uuid4()),
        "secrets": secrets.token_hex(16),
        "str_hash": hash("sandrun"),
        "heap_addr": id(object()),
        "libc_addr": ctypes.cast(ctypes.CDLL(None).printf, ctypes.c_void_p).value,
        "tempfile": tempfile.mktemp(),
        "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED"),
    }
