import io.moquette.BrokerConstants;
import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import java.util.Properties;

/**
 * Starts Moquette for bench/compare.sh: its default settings but a TCP listener on 127.0.0.1:PORT,
 * persistence off, anonymous clients and empty client ids (mosquitto clients send one) allowed, its
 * files under DIR, and telemetry off (it would report to a server on the internet, as HiveMQ's
 * usage statistics would: both are off). Usage: MoquetteLauncher PORT [DIR]
 */
public final class MoquetteLauncher {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.setProperty(BrokerConstants.HOST_PROPERTY_NAME, "127.0.0.1");
    p.setProperty(BrokerConstants.PORT_PROPERTY_NAME, args[0]);
    p.setProperty(BrokerConstants.PERSISTENCE_ENABLED_PROPERTY_NAME, "false");
    p.setProperty(BrokerConstants.ALLOW_ANONYMOUS_PROPERTY_NAME, "true");
    p.setProperty(BrokerConstants.ALLOW_ZERO_BYTE_CLIENT_ID_PROPERTY_NAME, "true");
    p.setProperty(BrokerConstants.ENABLE_TELEMETRY_NAME, "false");
    if (args.length > 1) {
      p.setProperty(BrokerConstants.DATA_PATH_PROPERTY_NAME, args[1]);
    }
    Server server = new Server();
    server.startServer(new MemoryConfig(p));
    Runtime.getRuntime().addShutdownHook(new Thread(server::stopServer));
    Thread.currentThread().join();
  }
}
