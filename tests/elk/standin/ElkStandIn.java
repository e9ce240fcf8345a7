import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * Stand-ins for Logstash's TCP inputs and the APM server's intake, for the ELK suite's container tests
 * (tests/elk/wiring-containers.sh). Runs on the JRE image production uses (or on the host in a network
 * namespace); the real contracts, not the real servers:
 *
 *   logstash <out-dir> <port>...   TCP json_lines inputs: every line received on a port is appended to
 *                                  <out-dir>/logstash-<port>.jsonl
 *   apm <out-dir> <port>           the APM server's agent API: GET / (server info), POST /intake/v2/events
 *                                  (ndjson, gzip or deflate) appended to <out-dir>/apm-intake.ndjson, each
 *                                  request's Authorization header to <out-dir>/apm-auth.txt
 */
public final class ElkStandIn {

    private ElkStandIn() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || !(args[0].equals("logstash") || args[0].equals("apm"))) {
            System.err.println("usage: ElkStandIn logstash <out-dir> <port>... | apm <out-dir> <port>");
            System.exit(2);
        }
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        if (args[0].equals("logstash")) {
            for (int i = 2; i < args.length; i++) {
                int port = Integer.parseInt(args[i]);
                ServerSocket server = new ServerSocket();
                server.bind(new InetSocketAddress("0.0.0.0", port));
                Thread t = new Thread(() -> acceptLines(server, out.resolve("logstash-" + port + ".jsonl")));
                t.start();
            }
            System.out.println("logstash stand-in listening");
        } else {
            intake(out, Integer.parseInt(args[2]));
            System.out.println("apm stand-in listening");
        }
    }

    private static void acceptLines(ServerSocket server, Path file) {
        while (true) {
            try {
                Socket s = server.accept();
                new Thread(() -> readLines(s, file)).start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void readLines(Socket socket, Path file) {
        try (socket; BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                append(file, line + "\n");
            }
        } catch (IOException e) {
            // the sender went away: what arrived is kept
        }
    }

    private static synchronized void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static void intake(Path out, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("0.0.0.0", port), 64);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] reply = "{}".getBytes(StandardCharsets.UTF_8);
            int status = 200;
            if (path.equals("/intake/v2/events")) {
                InputStream body = exchange.getRequestBody();
                String encoding = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Encoding"));
                if (encoding.equals("gzip")) {
                    body = new GZIPInputStream(body);
                } else if (encoding.equals("deflate")) {
                    body = new InflaterInputStream(body);
                }
                String ndjson = new String(body.readAllBytes(), StandardCharsets.UTF_8);
                append(out.resolve("apm-intake.ndjson"), ndjson.endsWith("\n") ? ndjson : ndjson + "\n");
                append(out.resolve("apm-auth.txt"), exchange.getRequestHeaders().getFirst("Authorization") + "\n");
                status = 202;
                reply = new byte[0];
            } else if (path.equals("/")) {
                reply = "{\"build_date\":\"2025-01-01T00:00:00Z\",\"build_sha\":\"stand-in\",\"publish_ready\":true,\"version\":\"8.17.10\"}"
                        .getBytes(StandardCharsets.UTF_8);
            } else {
                exchange.getRequestBody().readAllBytes();
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, reply.length == 0 ? -1 : reply.length);
            if (reply.length > 0) {
                exchange.getResponseBody().write(reply);
            }
            exchange.close();
        });
        server.start();
    }
}
