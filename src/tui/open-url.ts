/**
 * Opens a URL in the user's browser (the `open` package: xdg-open, open, start) and finds out whether
 * that worked. `open` returns as soon as the opener is spawned, so a desktop-less machine would look
 * like success: the opener's exit is watched for a moment instead — an error or a non-zero exit is a
 * failure; exit 0, or still running (some openers wait for the browser), counts as opened.
 */
import type { ChildProcess } from "node:child_process";
import open, { type App } from "open";

/** How long an opener may take to fail before the browser is taken to be starting. */
const OPENER_GRACE_MS = 3_000;

export class OpenFailedError extends Error {
  constructor(
    readonly url: string,
    why: string,
  ) {
    super(`no browser could be started (${why})`);
    this.name = "OpenFailedError";
  }
}

/** Resolves once the browser is (probably) opening `url`; rejects with OpenFailedError otherwise. */
export async function openInBrowser(
  url: string,
  options: { app?: App; graceMs?: number } = {},
): Promise<void> {
  let child: ChildProcess;
  try {
    child = await open(url, options.app ? { app: options.app } : {});
  } catch (error) {
    throw new OpenFailedError(url, (error as Error).message);
  }
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error): void => {
      clearTimeout(timer);
      child.off("error", onError);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve();
    };
    const onError = (error: Error): void => done(new OpenFailedError(url, error.message));
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      done(
        code === 0
          ? undefined
          : new OpenFailedError(
              url,
              code !== null ? `the opener exited with code ${code}` : `killed by ${signal}`,
            ),
      );
    const timer = setTimeout(() => done(), options.graceMs ?? OPENER_GRACE_MS);
    timer.unref();
    child.once("error", onError);
    child.once("exit", onExit);
  });
}
