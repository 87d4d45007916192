import com.hivemq.embedded.EmbeddedHiveMQ;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Starts HiveMQ Community Edition embedded, for bench/compare.sh: its default settings but a TCP
 * listener on 127.0.0.1:PORT, in-memory persistence, the queue bound compare.sh gives every broker,
 * and no usage statistics. Usage: HiveMqLauncher PORT DIR MAX_QUEUED
 */
public final class HiveMqLauncher {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Path dir = Path.of(args[1]);
    long maxQueued = Long.parseLong(args[2]);
    Path conf = Files.createDirectories(dir.resolve("conf"));
    Files.writeString(conf.resolve("config.xml"), """
        <?xml version="1.0"?>
        <hivemq>
          <listeners>
            <tcp-listener><port>%d</port><bind-address>127.0.0.1</bind-address></tcp-listener>
          </listeners>
          <mqtt>
            <queued-messages><max-queue-size>%d</max-queue-size></queued-messages>
          </mqtt>
          <persistence><mode>in-memory</mode></persistence>
          <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>
        </hivemq>
        """.formatted(port, maxQueued));
    EmbeddedHiveMQ hivemq = EmbeddedHiveMQ.builder()
        .withConfigurationFolder(conf)
        .withDataFolder(Files.createDirectories(dir.resolve("data")))
        .withExtensionsFolder(Files.createDirectories(dir.resolve("extensions")))
        .build();
    hivemq.start().join();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> hivemq.stop().join()));
    Thread.currentThread().join();
  }
}
