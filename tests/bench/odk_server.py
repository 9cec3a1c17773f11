#!/usr/bin/python3
"""An OpenRosa-style submission endpoint for the link benchmark: HTTPS, HTTP/1.1
kept alive, every POST read whole and answered 201 with the short XML receipt
an ODK server sends. Loopback only; serves for at most SECONDS.

usage: odk_server.py PORT_FILE CERT KEY SECONDS
"""
import http.server
import os
import ssl
import sys
import threading

RECEIPT = (b'<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0">'
           b'<message nature="submit_success">full submission upload was successful!</message>'
           b'</OpenRosaResponse>')


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if length < 0 or length > 10 * 1024 * 1024:
            self.send_error(413)
            return
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                return
            remaining -= len(chunk)
        self.send_response(201)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("X-OpenRosa-Version", "1.0")
        self.send_header("Content-Length", str(len(RECEIPT)))
        self.end_headers()
        self.wfile.write(RECEIPT)

    def log_message(self, *args):
        pass


def main():
    port_file, cert, key, seconds = sys.argv[1:5]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(port_file + ".tmp", port_file)
    threading.Timer(float(seconds), server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
