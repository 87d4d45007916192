package io.tern.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.Appender;
import io.tern.server.config.LogConfig;
import io.tern.server.config.LogLevel;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the configured log level and format to Logback, which logback.xml sets up (one console
 * appender named STDOUT, human-readable lines).
 */
final class Logging {
  /** The broker's logger of connects and disconnects (its ConnectHandshake and ConnectionCloser). */
  static final String CONNECTIONS_LOGGER = "io.tern.broker.connections";

  private Logging() {}

  /** Sets the level of the root logger (logback.xml keeps Jetty and Javalin at WARN). */
  static void setLevel(LogLevel level) {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext context) {
      context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(level.name(), Level.INFO));
    }
  }

  /** Level and format: {@code json} writes one JSON object per line (Logback's JsonEncoder). */
  static void apply(LogConfig config) {
    setLevel(config.level());
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      // One line per connect and disconnect only when asked for (log.connections): with many
      // clients they are most of the log, and formatting them costs every connection memory.
      context.getLogger(CONNECTIONS_LOGGER).setLevel(config.connections() ? Level.INFO : Level.OFF);
    }
    if (config.format() == LogConfig.Format.JSON
        && LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
      Appender<ILoggingEvent> a = root.getAppender("STDOUT");
      if (a instanceof ConsoleAppender<ILoggingEvent> console) {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.setWithFormattedMessage(true);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithContext(false);
        encoder.start();
        console.stop();
        console.setEncoder(encoder);
        console.start();
      }
    }
  }
}
