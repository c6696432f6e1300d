/** Dead letters of queue groups exported to their dead-letter topics, exactly once. */
package io.ordo.node.deadletters;
