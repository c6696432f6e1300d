/** Who calls the node: authentication of client-port calls, and the principal it gives them. */
package io.ordo.node.security;
