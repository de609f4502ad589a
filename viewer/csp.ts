/**
 * The page allows scripts and styles from itself only; `connect-src` stays open because the image
 * URLs are presigned URLs on whichever storage host the deployment uses, and the case-files route
 * is configured per deployment. No inline script, no eval. (`frame-ancestors` only works as a
 * header: serve.ts sends it.)
 */
export const VIEWER_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src *; base-uri 'none'; form-action 'none'";
