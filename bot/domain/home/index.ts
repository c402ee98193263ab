/** The home area's public surface: what code outside bot/domain/home/ may import. */
export { getHome } from './get-home'
