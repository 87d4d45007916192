/**
 * The topic router: routes with named parameters, globs and prefixes, grouped in scopes, checked by
 * pipelines of pipes and decided by controllers; built on the publish and subscribe hooks. Start
 * with {@link io.tern.broker.router.Router#create}.
 */
package io.tern.broker.router;
