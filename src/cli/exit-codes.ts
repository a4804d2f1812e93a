/** Documented process exit codes (README "Exit codes"). */
export const ExitCode = {
  /** Done; for `analyze`, the traffic complies with the matrix. */
  Ok: 0,
  /** `analyze` found violations. */
  Violations: 1,
  /** Bad usage, or an input (capture, rules, inventory) that cannot be read. */
  UsageOrInput: 2,
} as const;
