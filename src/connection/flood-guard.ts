/**
 * Flood limits (RFC 9113 section 10.5: activity that is legal but useless may be treated as a
 * connection error ENHANCE_YOUR_CALM). Counters over a fixed window of `floodWindowMs`, one per
 * kind of abuse; crossing a limit throws the ConnectionError the connection turns into GOAWAY.
 */
import { ConnectionError, ErrorCode } from '../errors.js';
import type { ResolvedOptions } from './options.js';

export class FloodGuard {
  private readonly options: ResolvedOptions;
  private windowStart: number;
  private controlFrames = 0;
  private glitches = 0;
  private resets = 0;
  private streamErrors = 0;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.windowStart = options.now;
  }

  /** PING and SETTINGS frames we must answer (PING/SETTINGS floods, CVE-2019-9512/9515). */
  controlFrame(now: number): void {
    this.roll(now);
    if (++this.controlFrames > this.options.maxControlFramesPerWindow) {
      throw this.error(`more than ${this.options.maxControlFramesPerWindow} PING/SETTINGS frames`, 'flood_control_frames');
    }
  }

  /** A frame that is legal but does nothing useful (`what` names it in the message). */
  glitch(now: number, what: string): void {
    this.roll(now);
    if (++this.glitches > this.options.maxGlitchesPerWindow) {
      throw this.error(`more than ${this.options.maxGlitchesPerWindow} useless frames (last: ${what})`, 'flood_glitches');
    }
  }

  /** A stream reset the peer sent or provoked (Rapid Reset CVE-2023-44487, MadeYouReset CVE-2025-8671). */
  reset(now: number): void {
    this.roll(now);
    if (++this.resets > this.options.maxResetsPerWindow) {
      throw this.error(`more than ${this.options.maxResetsPerWindow} stream resets`, 'flood_resets');
    }
  }

  /** A stream error only a broken or hostile peer causes (malformed or forbidden input, 431). */
  streamError(now: number): void {
    this.roll(now);
    if (++this.streamErrors > this.options.maxStreamErrorsPerWindow) {
      throw this.error(`more than ${this.options.maxStreamErrorsPerWindow} malformed or forbidden stream frames`, 'flood_stream_errors');
    }
  }

  private roll(now: number): void {
    if (now - this.windowStart >= this.options.floodWindowMs) {
      this.windowStart = now;
      this.controlFrames = 0;
      this.glitches = 0;
      this.resets = 0;
      this.streamErrors = 0;
    }
  }

  private error(what: string, token: string): ConnectionError {
    return new ConnectionError(`${what} in ${this.options.floodWindowMs} ms`, ErrorCode.ENHANCE_YOUR_CALM, token);
  }
}
