# Sends stdin's bytes to 127.0.0.1:PORT as they are (a malformed request
# cannot be sent with curl) and prints the status line of each response.
# With --body, prints instead how many bytes follow the first header block.
# The connection is read until the server closes it or is silent for 2 s.
import socket, sys

port = int(sys.argv[1])
data = sys.stdin.buffer.read()
s = socket.create_connection(("127.0.0.1", port), timeout=2)
s.sendall(data)
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except (socket.timeout, ConnectionResetError):
    pass
if "--body" in sys.argv[2:]:
    end = out.find(b"\r\n\r\n")
    print("body", len(out) - end - 4 if end >= 0 else -1)
else:
    for line in out.split(b"\r\n"):
        if line.startswith(b"HTTP/1."):
            print(line.decode("latin-1"))
