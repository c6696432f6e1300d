/** Topics' retention: the partitions a node leads delete the records their topic lets go. */
package io.ordo.node.retention;
