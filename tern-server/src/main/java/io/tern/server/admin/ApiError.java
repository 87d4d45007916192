package io.tern.server.admin;

/** An answer other than success: its HTTP status, a message, and the request field at fault, if any. */
final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final int status;
  final String field;

  ApiError(int status, String field, String message) {
    super(message, null, false, false);
    this.status = status;
    this.field = field;
  }

  static ApiError badRequest(String field, String message) {
    return new ApiError(400, field, message);
  }

  static ApiError notFound(String message) {
    return new ApiError(404, null, message);
  }
}
