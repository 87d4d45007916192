package io.tern.server.config;

/** How much the server logs; each level includes the ones below it. */
public enum LogLevel {
  TRACE, DEBUG, INFO, WARN, ERROR, OFF
}
