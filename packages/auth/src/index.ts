export { ROLES, signAccessToken, verifyAccessToken, type Principal, type TokenCheck } from './tokens.js';
export { PASSWORD_RULES, hashPassword, passwordProblem, verifyPassword } from './passwords.js';
export {
  InvalidCredentialsError,
  TooManyAttemptsError,
  signIn,
  type SignInPolicy,
  type SignedIn,
} from './sign-in.js';
export { FailureCounts } from './failure-counts.js';
export { createUser, type NewUser } from './users.js';
