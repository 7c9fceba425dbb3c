"""The web server's configuration and TLS keys: /etc/nginx, /etc/ssl/private,
/etc/letsencrypt, and the nginx pid/log locations."""
import os


def main():
    out = {}
    for p in ("/etc/nginx", "/etc/nginx/nginx.conf", "/etc/nginx/sites-enabled",
              "/etc/ssl/private", "/etc/letsencrypt", "/var/log/nginx/access.log",
              "/run/nginx.pid", "/etc/nginx/fastcgi_params"):
        out[p] = attempt(lambda: look(p, 200), returned)
        out[p + " exists"] = os.path.lexists(p)
    return out
