import { type Env, EnvError, parseEnv } from '../env'

/** Parses process.env; on failure prints one line per problem and exits with code 1. */
export function envOrExit(): Env {
  try {
    return parseEnv(process.env)
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write('flowcard cannot start: invalid configuration\n')
      for (const line of err.problems) process.stderr.write(`  ${line}\n`)
      process.exit(1)
    }
    throw err
  }
}
