/** Errors with stable codes. Messages are safe to show to people; stacks never reach Slack. */
export class AppError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class ConfigError extends AppError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('config_invalid', `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export class MigrationError extends AppError {
  constructor(message: string) {
    super('migration_failed', message);
  }
}

export class MigrationEditedError extends AppError {
  constructor(file: string) {
    super('migration_edited', `Migration ${file} was edited after it was applied (checksum differs). Restore the file or add a new migration.`);
  }
}

/** Bad input from a caller: HTTP 400 or an ephemeral usage reply. `field` names what was wrong. */
export class ValidationError extends AppError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('invalid_input', `${field}: ${message}`);
    this.field = field;
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'missing or invalid credentials') {
    super('unauthorized', message);
  }
}

export class PayloadTooLargeError extends AppError {
  readonly limit: number;
  constructor(limit: number) {
    super('payload_too_large', `request body exceeds ${limit} bytes`);
    this.limit = limit;
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/** Refused state transition (e.g. resolving an incident that is already resolved). */
export class ConflictError extends AppError {
  constructor(message: string) {
    super('conflict', message);
  }
}
