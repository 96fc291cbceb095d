/**
 * The staged binary of --stage: checked, verified, then atomically renamed
 * over the command's binary (the old one kept as <binary>.prev) so the new
 * generation starts from it. Until the swap succeeds it can be rolled back:
 * the previous binary is put back and the rejected one is kept beside the
 * stage path as <stage>.rejected for inspection (never retried by itself).
 */
import { accessSync, constants, existsSync, linkSync, renameSync, statSync, unlinkSync } from 'node:fs';
import type { Helpers } from './helpers.js';

export class StageError extends Error {}

type StageState = 'none' | 'installed';

export class StagedBinary {
  private state: StageState = 'none';
  private readonly stagePath: string;
  private readonly binaryPath: string;
  private readonly verify: string | null;
  private readonly helpers: Helpers;
  private readonly env: Record<string, string>;

  constructor(stagePath: string, binaryPath: string, verify: string | null, helpers: Helpers, env: Record<string, string>) {
    this.stagePath = stagePath;
    this.binaryPath = binaryPath;
    this.verify = verify;
    this.helpers = helpers;
    this.env = env;
  }

  get previousPath(): string {
    return `${this.binaryPath}.prev`;
  }

  /**
   * Checks the staged file, if there is one, and runs --verify against it.
   * Returns false when nothing is staged; throws StageError when it is refused
   * (the file is then moved aside to <stage>.rejected).
   */
  async check(verifyTimeoutMs: number): Promise<boolean> {
    if (!existsSync(this.stagePath)) return false;
    try {
      await this.checkFile(verifyTimeoutMs);
    } catch (error) {
      if (error instanceof StageError) this.setAside();
      throw error;
    }
    return true;
  }

  private async checkFile(verifyTimeoutMs: number): Promise<void> {
    const stat = statSync(this.stagePath);
    if (!stat.isFile()) throw new StageError(`staged ${this.stagePath} is not a regular file`);
    try {
      accessSync(this.stagePath, constants.X_OK);
    } catch {
      throw new StageError(`staged ${this.stagePath} is not executable (chmod +x it)`);
    }
    if (!this.verify) return;
    const quoted = `'${this.stagePath.replaceAll("'", "'\\''")}'`;
    const result = await this.helpers.run({
      command: `${this.verify} ${quoted}`,
      env: { ...this.env, HOTINIT_STAGED: this.stagePath },
      timeoutMs: verifyTimeoutMs,
    });
    if (!result.ok) {
      const why = result.timedOut ? 'timed out' : `exited with ${result.exitCode ?? result.signal}`;
      throw new StageError(`--verify ${why}${result.output ? `: ${result.output}` : ''}`);
    }
  }

  /** A refused stage is kept for inspection, out of the way of the next swap. */
  private setAside(): void {
    try {
      renameSync(this.stagePath, `${this.stagePath}.rejected`);
    } catch {
      // gone already: nothing to keep
    }
  }

  /** Renames the checked stage over the binary, keeping <binary>.prev. */
  install(): void {
    const tmp = `${this.binaryPath}.prev.tmp`;
    try {
      if (existsSync(tmp)) unlinkSync(tmp);
      // A hard link keeps the running binary in place until the final rename:
      // there is no moment at which the command's path does not exist.
      linkSync(this.binaryPath, tmp);
      renameSync(tmp, this.previousPath);
      renameSync(this.stagePath, this.binaryPath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EXDEV') throw new StageError(`${this.stagePath} and ${this.binaryPath} must be on the same filesystem`);
      throw new StageError(`cannot install ${this.stagePath} over ${this.binaryPath}: ${(error as Error).message}`);
    }
    this.state = 'installed';
  }

  /** The swap failed: the previous binary goes back, the rejected one aside. */
  rollback(): boolean {
    if (this.state !== 'installed') return false;
    this.state = 'none';
    const tmp = `${this.binaryPath}.rollback.tmp`;
    linkSync(this.binaryPath, tmp);
    renameSync(tmp, `${this.stagePath}.rejected`);
    linkSync(this.previousPath, tmp);
    renameSync(tmp, this.binaryPath);
    return true;
  }

  /** The swap succeeded: keep <binary>.prev as the one previous version. */
  commit(): void {
    this.state = 'none';
  }
}
