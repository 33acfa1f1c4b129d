import type { Request, RequestHandler, Response, Router } from 'express';
import { GUARDED_ROUTES, ROUTE_ROLES, type RouteKey } from './access.js';
import { allowRoles } from './auth.js';

export type Handler = (req: Request, res: Response) => Promise<void> | void;
export type RouteRegistrar = (key: RouteKey, handler: Handler) => void;

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

/**
 * Registers /v1 routes from the access table: the key names method and path, the table gives the
 * roles (and whether the financial guard runs first), so no route exists without a line in it.
 */
export function routeRegistrar(router: Router, guard: RequestHandler): RouteRegistrar {
  return (key, handler) => {
    const [method, fullPath] = key.split(' ') as [string, string];
    const path = fullPath.replace(/^\/v1/, '') || '/';
    const register = router[method.toLowerCase() as Method].bind(router) as (
      path: string,
      ...handlers: RequestHandler[]
    ) => void;
    const chain: RequestHandler[] = [allowRoles(ROUTE_ROLES[key])];
    if (GUARDED_ROUTES.has(key)) chain.push(guard);
    register(path, ...chain, handler as RequestHandler);
  };
}
