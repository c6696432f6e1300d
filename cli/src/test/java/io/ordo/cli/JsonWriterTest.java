package io.ordo.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JsonWriterTest {
  @Test
  void placesCommasBetweenMembersAndElementsOnly() {
    String json =
        new JsonWriter()
            .beginObject()
            .field("a", 1)
            .name("b")
            .beginArray()
            .value(1)
            .value(2)
            .beginObject()
            .endObject()
            .beginArray()
            .endArray()
            .endArray()
            .field("c", true)
            .field("d", (String) null)
            .endObject()
            .toString();
    assertThat(json).isEqualTo("{\"a\":1,\"b\":[1,2,{},[]],\"c\":true,\"d\":null}");
  }

  @Test
  void escapesQuotesBackslashesAndControlCharacters() {
    String json = new JsonWriter().value("q\"b\\n\nt\tc\u0001é").toString();
    assertThat(json).isEqualTo("\"q\\\"b\\\\n\\nt\\tc\\u0001é\"");
  }

  @Test
  void writesDecimalsWithThreeDigitsAndNonFiniteAsNull() {
    assertThat(new JsonWriter().value(1.5).toString()).isEqualTo("1.500");
    assertThat(new JsonWriter().value(Double.NaN).toString()).isEqualTo("null");
  }

  @Test
  void refusesToRenderAnUnclosedDocument() {
    assertThatThrownBy(() -> new JsonWriter().beginObject().toString())
        .isInstanceOf(IllegalStateException.class);
  }
}
