export { ROLES, signAccessToken, verifyAccessToken, type Principal, type TokenCheck } from './tokens.js';
