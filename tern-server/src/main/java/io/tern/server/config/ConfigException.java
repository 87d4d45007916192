package io.tern.server.config;

/**
 * A configuration that cannot be used. The message names the file and the key, for example
 * {@code tern.yaml: limits.max_inflight: must be 1..65535, got 0}.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final String key;

  /**
   * @param source the file (or other source) the configuration came from
   * @param key the dotted path of the offending key, {@code null} when no single key is at fault
   * @param problem what is wrong, for a person
   */
  public ConfigException(String source, String key, String problem) {
    super(source + ": " + (key == null ? "" : key + ": ") + problem);
    this.source = source;
    this.key = key;
  }

  public String source() {
    return source;
  }

  /** The dotted path of the offending key ({@code listeners[0].port}), or {@code null}. */
  public String key() {
    return key;
  }
}
