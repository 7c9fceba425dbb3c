# Deep nesting past any sane depth, names that are not UTF-8, names with
# control characters, and a directory the job made unreadable to itself.
def main():
    ev = {}
    os.makedirs("output", exist_ok=True)
    path = "output"
    depth = 0
    try:
        while depth < 200:
            os.mkdir(path + "/d")
            path += "/d"
            depth += 1
    except OSError as e:
        ev["deep stopped"] = refusal(e)
    write(path + "/bottom.txt", "deep")
    ev["depth"] = depth
    os.makedirs("output", exist_ok=True)
    with open(b"output/bad-\xff\xfe.txt", "wb") as f:
        f.write(b"x")
    with open(b"output/ctl-\n\x1b[31m.txt", "wb") as f:
        f.write(b"x")
    os.mkdir("output/locked")
    write("output/locked/inside.txt", "hidden")
    os.chmod("output/locked", 0)
    write("output/ok.txt", "ok")
    return ev
