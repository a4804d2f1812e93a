import type { Command } from 'commander';
import type { Matrix } from '../audit/matrix.js';
import { MatrixError, MatrixErrors } from '../audit/matrix-error.js';
import { SHIPPED_RULES_DIR, shippedProfileNames } from '../audit/matrix-rules-dir.js';
import { ExitCode } from './exit-codes.js';
import { writeOut } from './output.js';

export interface RulesCommandOptions {
  /** Shipped profiles folder; tests point it elsewhere. */
  readonly rulesDir?: string;
}

/**
 * `flowaudit rules validate FILE|NAME...` and `flowaudit rules list`. Validation reports every
 * error of each file and its includes, one line each on stderr (`FILE:LINE:COL: message`), and
 * sets exit code 2; every argument is checked. `list` names the first error of a broken profile.
 * The loader (YAML, JSON Schema) is imported when a rules command runs, not at every start.
 */
export function registerRulesCommand(program: Command, options: RulesCommandOptions = {}): void {
  const rulesDir = options.rulesDir ?? SHIPPED_RULES_DIR;
  const rules = program.command('rules').description('check and list connection-matrix rules profiles');

  rules
    .command('validate')
    .description('load rules files or shipped profiles with their includes, and report every error, one line each')
    .argument('<files...>', 'rules files (path) or shipped profile names')
    .action(async (refs: string[]) => {
      const { loadMatrix } = await import('./audit-commands.js');
      const lines: string[] = [];
      let failed = false;
      for (const ref of refs) {
        try {
          lines.push(summary(loadMatrix(ref, { rulesDir })));
        } catch (err) {
          if (!(err instanceof MatrixError)) throw err;
          const errors = err instanceof MatrixErrors ? inReadingOrder(err.errors) : [err];
          process.stderr.write(errors.map((e) => `flowaudit: ${e.message}\n`).join(''));
          failed = true;
        }
      }
      if (lines.length > 0) await writeOut(lines.join('\n') + '\n');
      if (failed) process.exitCode = ExitCode.UsageOrInput;
    });

  rules
    .command('list')
    .description('list the shipped profiles with their titles')
    .action(async () => {
      const { loadMatrix } = await import('./audit-commands.js');
      const lines: string[] = [];
      let failed = false;
      for (const name of shippedProfileNames(rulesDir)) {
        try {
          const m = loadMatrix(name, { rulesDir });
          lines.push(`${name}\t${m.title}`);
        } catch (err) {
          if (!(err instanceof MatrixError)) throw err;
          process.stderr.write(`flowaudit: ${err.message}\n`);
          failed = true;
        }
      }
      await writeOut(lines.join('\n') + (lines.length > 0 ? '\n' : ''));
      if (failed) process.exitCode = ExitCode.UsageOrInput;
    });
}

/** By file (in the order the loader met them), then by line and column. */
function inReadingOrder(errors: readonly MatrixError[]): MatrixError[] {
  const files = [...new Set(errors.map((e) => e.file))];
  return [...errors].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line || a.column - b.column);
}

/** `OK name: N components, M connections (includes a, b)`. */
export function summary(m: Matrix): string {
  const includes = m.includes.length > 0 ? ` (includes ${m.includes.join(', ')})` : '';
  return `OK ${m.name}: ${m.components.size} components, ${m.connections.length} connections${includes}`;
}
