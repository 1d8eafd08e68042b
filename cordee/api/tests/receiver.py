"""A real HTTP receiver on 127.0.0.1 for webhook tests: records each request, answers as told."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self, secret: str | None = None):
        self.secret = secret
        self.received: list[dict] = []
        self.status = 200
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name: value for name, value in self.headers.items()}
                verified = None
                if receiver.secret:
                    try:
                        verified = Webhook(receiver.secret).verify(body, headers)
                    except WebhookVerificationError:
                        verified = False
                receiver.received.append({"headers": headers, "body": body, "verified": verified})
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def ids(self) -> list[str]:
        return [request["headers"]["webhook-id"] for request in self.received]
