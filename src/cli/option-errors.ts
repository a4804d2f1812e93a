import { Option, type Command } from 'commander';

/**
 * Names other tools (and habit) give flowaudit's options. Typed to a command that has the option
 * it stands for, the error names that option: commander's own suggestion only finds misspellings
 * a few letters away, and `--iface` is six from `--interface`.
 */
const KNOWN_ALIASES: Readonly<Record<string, string>> = {
  '--iface': '--interface',
  '--if': '--interface',
  '--dev': '--interface',
  '--device': '--interface',
  '--rule': '--rules',
  '--rules-file': '--rules',
  '--profile': '--rules',
  '--matrix': '--rules',
  '--inventories': '--inventory',
  '--inv': '--inventory',
  '--k8s': '--k8s-snapshot',
  '--kubernetes': '--k8s-snapshot',
  '--snapshot': '--k8s-snapshot',
  '--bpf': '--filter',
  '--out': '--output',
  '--fmt': '--format',
};

/**
 * Makes every command of `program` name the right option when a wrong one is given: the known
 * aliases above as hidden options that fail naming their target, and required options checked
 * after unknown ones (commander checks required options first, so `analyze x --rule r` said
 * "required option '--rules' not specified" instead of pointing at the typo). Call after every
 * command is registered; declare required options with requireOptions(), not requiredOption().
 */
export function nameTheRightOption(program: Command): void {
  for (const command of allCommands(program)) {
    for (const [alias, target] of Object.entries(KNOWN_ALIASES)) {
      const option = command.options.find((o) => o.long === target);
      // `watch --kubernetes` is an option of its own; `analyze --kubernetes` means --k8s-snapshot.
      if (option === undefined || command.options.some((o) => o.long === alias)) continue;
      // Takes a value as its target does (every aliased option takes one), so the value is not
      // taken for an argument, and fails as it is parsed, the way an unknown option does.
      const hidden = new Option(`${alias} <value>`).hideHelp().argParser(() =>
        command.error(`error: unknown option '${alias}' (Did you mean ${target}?)`, { code: 'commander.unknownOption' }),
      );
      command.addOption(hidden);
    }
  }
  program.hook('preAction', (_program, action) => {
    for (const option of action.options) {
      if (REQUIRED.has(option) && action.getOptionValue(option.attributeName()) === undefined) {
        action.error(`error: required option '${option.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
      }
    }
  });
}

/** Options that must be given: checked before the action, after unknown options. */
const REQUIRED = new WeakSet<Option>();

/** Marks options of `command` (by long flag) required; nameTheRightOption() checks them. */
export function requireOptions(command: Command, ...longFlags: string[]): Command {
  for (const flag of longFlags) {
    const option = command.options.find((o) => o.long === flag);
    if (option === undefined) throw new Error(`requireOptions: ${command.name()} has no option ${flag}`);
    REQUIRED.add(option);
  }
  return command;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}
