"""nbgrader configuration: `solutions/` is the source (with solutions and hidden tests),
`exercises/` is the student release generated from it."""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
