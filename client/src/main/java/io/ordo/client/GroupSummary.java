package io.ordo.client;

import java.util.List;

/** A stream group as listed: its name, the topics its members read, and how many are live. */
public record GroupSummary(String name, List<String> topics, int members) {}
