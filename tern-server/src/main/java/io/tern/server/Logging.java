package io.tern.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.tern.server.config.LogLevel;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies the configured log level to Logback, which logback.xml sets up. */
final class Logging {
  private Logging() {}

  /** Sets the level of every logger (the root's; logback.xml sets no other). */
  static void setLevel(LogLevel level) {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext context) {
      context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(level.name(), Level.INFO));
    }
  }
}
