import os


def main():
    # 8 files of 1 MiB: max_files_out_bytes (8 MiB) exactly
    os.makedirs("output", exist_ok=True)
    for i in range(8):
        with open("output/part-%d.bin" % i, "wb") as f:
            f.write(os.urandom(1 << 20))
    return "written"
