"""The web server's configuration and TLS keys: /etc/nginx, /etc/ssl/private,
/etc/letsencrypt, and the nginx pid/log locations."""
import os


def main():
    out = {}
    for p in ("/etc/nginx", "/etc/nginx/nginx.conf", "/etc/nginx/sites-enabled",
              "/etc/ssl/private", "/etc/letsencrypt", "/var/log/nginx/access.log",
              "/run/nginx.pid", "/etc/nginx/fastcgi_params"):
        try:
            if os.path.isdir(p):
                out[p] = "LISTED: %s" % os.listdir(p)
            else:
                with open(p) as f:
                    out[p] = "READ: " + f.read(200)
        except OSError as e:
            out[p] = "%s errno=%s" % (type(e).__name__, e.errno)
        out[p + " exists"] = os.path.lexists(p)
    return out
