# output/ itself is a link to the root: nothing must come back.
def main():
    return {"symlink output -> /": attempt(lambda: os.symlink("/", "output")),
            "ls": sorted(os.listdir("output"))[:3]}
