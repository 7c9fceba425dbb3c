"""What `make install` ships: `nginx -t` on every shipped nginx file as an
operator installs it (Debian's own /etc/nginx/nginx.conf, the site in
sites-enabled/, the snippets under /usr/share/sandrun/nginx), and the man
pages against the settings the code reads."""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import FCGI, config_source
from stack import SRC_DIR

NGINX_DIR = os.path.join(SRC_DIR, "nginx")
MAN_DIR = os.path.join(SRC_DIR, "man")


def _setting_names():
    src = config_source()
    table = src[src.index("config_settings[] = {"):src.index("};", src.index("config_settings[] = {"))]
    names = re.findall(r"^\s*[SL]\((\w+),", table, re.M)
    assert len(names) > 20, names
    return names


def test_man_page_lists_every_setting_with_its_default():
    with open(os.path.join(MAN_DIR, "sandrun.conf.5")) as f:
        man = f.read().replace("\\-", "-")
    for name in _setting_names():
        m = re.search(rf"^\.B {re.escape(name)}\n\(([^)]*); default: ", man, re.M)
        assert m, f"sandrun.conf.5 does not describe {name}"


def test_help_lists_the_same_settings():
    out = subprocess.run([FCGI, "--help"], capture_output=True, text=True, timeout=10).stdout
    listed = re.findall(r"^  --(\w+)\s", out, re.M)
    assert sorted(listed) == sorted(_setting_names())
    with open(os.path.join(MAN_DIR, "sandrun-fcgi.8")) as f:
        man8 = f.read().replace("\\-", "-").replace("\\", "")
    for name in listed:
        assert f"--{name}" in man8, f"sandrun-fcgi.8 does not list --{name}"
    with open(os.path.join(MAN_DIR, "sandrun.1")) as f:
        man1 = f.read().replace("\\-", "-")
    cli = subprocess.run([os.path.join(os.path.dirname(os.path.dirname(FCGI)), "cli", "sandrun"),
                          "--help"], capture_output=True, text=True, timeout=10)
    for opt in set(re.findall(r"(--[a-z][a-z-]+)", cli.stdout + cli.stderr)):
        assert opt in man1, f"sandrun.1 does not list {opt}"


def _nginx_t_as_installed(upstream_file, classes_text=None):
    """Run `nginx -t` in a private mount namespace where /etc/nginx is a copy
    of the host's with the sandrun site enabled, /usr/share/sandrun/nginx is
    the source tree's nginx/, and /etc/ssl/sandrun holds a certificate."""
    tmp = tempfile.mkdtemp(prefix="sandrun-nginx-t-")
    try:
        etc = os.path.join(tmp, "etc-nginx")
        shutil.copytree("/etc/nginx", etc, symlinks=True)
        for f in os.listdir(os.path.join(etc, "sites-enabled")):
            os.unlink(os.path.join(etc, "sites-enabled", f))
        shutil.copy(os.path.join(NGINX_DIR, "sandrun-site.conf"),
                    os.path.join(etc, "sites-available", "sandrun"))
        os.symlink("/etc/nginx/sites-available/sandrun", os.path.join(etc, "sites-enabled", "sandrun"))
        shutil.copy(os.path.join(NGINX_DIR, upstream_file), os.path.join(etc, "sandrun-upstream.conf"))
        # the package's /etc/nginx/sandrun-classes.conf, or one written for classes
        if classes_text is None:
            shutil.copy(os.path.join(NGINX_DIR, "sandrun-classes.conf"), os.path.join(etc, "sandrun-classes.conf"))
        else:
            with open(os.path.join(etc, "sandrun-classes.conf"), "w") as f:
                f.write(classes_text)
        with open(os.path.join(etc, "sandrun-api-keys.conf"), "w") as f:
            f.write("0123456789abcdef0123456789abcdef alice;\n"
                    "abcdef0123456789abcdef0123456789 bob:grader;\n")
        ssl_dir = os.path.join(tmp, "ssl")
        os.makedirs(ssl_dir)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=t",
                        "-keyout", os.path.join(ssl_dir, "privkey.pem"),
                        "-out", os.path.join(ssl_dir, "fullchain.pem")],
                       check=True, capture_output=True, timeout=30)
        script = f"""
set -e
mount --make-rprivate /
mkdir -p {tmp}/share-nginx
mount --bind /usr/share/nginx {tmp}/share-nginx
mount -t tmpfs tmpfs /usr/share
mkdir -p /usr/share/sandrun/nginx /usr/share/sandrun/playground /usr/share/nginx
mount --bind {tmp}/share-nginx /usr/share/nginx
mount --bind {NGINX_DIR} /usr/share/sandrun/nginx
mount --bind {etc} /etc/nginx
mkdir -p /etc/ssl/sandrun 2>/dev/null || mount -t tmpfs tmpfs /etc/ssl && mkdir -p /etc/ssl/sandrun
mount --bind {ssl_dir} /etc/ssl/sandrun
mount -t tmpfs tmpfs /var/log/nginx
exec nginx -t -c /etc/nginx/nginx.conf
"""
        return subprocess.run(["unshare", "--mount", "sh", "-c", script],
                              capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.parametrize("upstream", ["sandrun-upstream.conf", "sandrun-upstream-cluster.conf"])
def test_nginx_t_production_site_as_installed(upstream):
    p = _nginx_t_as_installed(upstream)
    assert p.returncode == 0 and "test is successful" in p.stderr, p.stderr


def _nginx_classes(*args):
    """sandrun-fcgi --nginx-classes with only the given settings (no host
    config file: an empty one)."""
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
        conf.write("{}")
        conf.flush()
        return subprocess.run([FCGI, "--config", conf.name, *args, "--nginx-classes"],
                              capture_output=True, text=True, timeout=30)


def test_shipped_classes_file_is_what_the_default_settings_write():
    """nginx/sandrun-classes.conf (the package's /etc/nginx/sandrun-classes.conf)
    is sandrun-fcgi's output for the shipped settings: no class has a cap."""
    p = _nginx_classes()
    assert p.returncode == 0, p.stderr
    with open(os.path.join(NGINX_DIR, "sandrun-classes.conf")) as f:
        assert f.read() == p.stdout
    assert "limit_conn " not in p.stdout


def test_nginx_t_production_site_with_classes():
    classes = '{"grader":{"max_concurrent":8,"weight":3},"student":{"max_timeout_s":10,"max_concurrent":2}}'
    p = _nginx_classes("--classes", classes, "--client_max_concurrent", "4")
    assert p.returncode == 0, p.stderr
    for name, cap in (("default", 4), ("grader", 8), ("student", 2)):
        assert f"limit_conn sandrun_conn_{name} {cap};" in p.stdout, p.stdout
    t = _nginx_t_as_installed("sandrun-upstream.conf", classes_text=p.stdout)
    assert t.returncode == 0 and "test is successful" in t.stderr, t.stderr


def test_nginx_classes_refuses_bad_classes():
    p = _nginx_classes("--classes", '{"Bad Name":{}}')
    assert p.returncode == 2 and "not a class name" in p.stderr, p
    assert p.stdout == ""
    assert "warn" not in p.stderr, p.stderr


def test_nginx_t_dev_template():
    tmp = tempfile.mkdtemp(prefix="sandrun-nginx-t-")
    try:
        with open(os.path.join(NGINX_DIR, "sandrun-dev.conf.in")) as f:
            conf = (f.read().replace("@STATE_DIR@", tmp).replace("@SRC_DIR@", SRC_DIR)
                    .replace("@PORT@", "1").replace("@SOCKET@", tmp + "/fcgi.sock"))
        with open(os.path.join(tmp, "nginx.conf"), "w") as f:
            f.write(conf)
        shutil.copy("/etc/nginx/fastcgi_params", tmp)
        os.makedirs(os.path.join(tmp, "nginx-tmp"))
        with open(os.path.join(tmp, "sandrun-api-keys.conf"), "w") as f:
            f.write("k dev;\nk2 other:grader;\n")
        shutil.copy(os.path.join(NGINX_DIR, "sandrun-classes.conf"), tmp)
        p = subprocess.run(["nginx", "-t", "-c", os.path.join(tmp, "nginx.conf")],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_installed_files_listed_in_makefile():
    with open(os.path.join(SRC_DIR, "Makefile.am")) as f:
        mk = f.read()
    for name in os.listdir(NGINX_DIR):
        if name.endswith(".conf"):
            assert f"nginx/{name}" in mk, name
    for name in os.listdir(os.path.join(SRC_DIR, "systemd")):
        assert f"systemd/{name}" in mk, name
    for name in os.listdir(MAN_DIR):
        assert f"man/{name}" in mk, name
