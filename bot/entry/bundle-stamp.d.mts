/** Types of bundle-stamp.mjs (plain JavaScript so the launcher needs no TypeScript loader). */
export declare const ROOT: string
export declare const BUNDLE_DIR: string
export declare function sourceStamp(): Promise<string>
