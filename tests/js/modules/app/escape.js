

import y from "../../etc/passwd";
